"""Self-service that answers citizens by phone: ticket progress (工单查询) found by caller ID or keyed number.
Floor 3 (domain): imports only hotline/ and db/ (tickets are read through db.repositories)."""
