"""Self-service that answers citizens by phone: ticket progress (工单查询) found by caller ID or keyed number,
and department business systems over HTTP (互联互通: contributions.py, department_api.py, demo_department.py).
Floor 3 (domain): imports only hotline/ and db/ (tickets are read through db.repositories)."""
