def render(event, subject, endpoint):
    return None
