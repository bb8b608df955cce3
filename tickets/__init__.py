"""Tickets (工单): the closed loop from a call to a department and back to the citizen.

``states`` declares the transitions, ``workflow.transition`` applies one,
``intake`` creates tickets, ``deadlines``/``calendar`` compute working-day time
limits, ``notifications`` and ``effects`` deliver side effects after commit,
``jobs`` holds the rq jobs that watch deadlines.
"""
