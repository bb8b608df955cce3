"""Knowledge base (知识库): editing with versions and audit, search over segmented Chinese text, usage.

Imports only hotline/ and db/. Pages and the API are in web/knowledge.py.
"""
