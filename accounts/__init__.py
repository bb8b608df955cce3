"""Web panel accounts (账号安全): password policy, login throttling, second factor, session revocation.

Domain rules only (floor 3: imports hotline/ and db/); the web's login page and
the admin CLI call these functions.
"""
