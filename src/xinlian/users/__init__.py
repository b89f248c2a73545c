"""Accounts, passwords, sessions and the audit trail: the library behind the web app's login and roles.

``passwords`` hashes and checks passwords, ``accounts`` creates and verifies users (with lockout), ``sessions``
keeps server-side sessions, ``audit`` appends to the audit log, ``roles`` says which role may do what.
"""
