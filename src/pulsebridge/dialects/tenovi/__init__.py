"""The Tenovi HWI API dialect: ``/tenovi/clients/{client_domain}/hwi/...``."""
