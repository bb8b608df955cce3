"""Floor 3, domain: tickets (工单), the closed loop from a call to a department and back to the citizen.
Imports only ``hotline`` and ``db``.

``states`` declares the transitions, ``workflow.transition`` applies one,
``intake`` creates tickets, ``deadlines`` computes working-day time limits on
``hotline.calendar``, ``notifications`` and ``effects`` deliver side effects
after commit, ``jobs`` holds the rq jobs that watch deadlines.
"""
