from django import template
from django.utils.http import urlencode

register = template.Library()


@register.simple_tag(takes_context=True)
def query_with(context, **changes) -> str:
    """The current query string with ``changes`` applied (None or "" removes a parameter)."""
    params = context["request"].GET.copy()
    for name, value in changes.items():
        if value in (None, ""):
            params.pop(name, None)
        else:
            params[name] = value
    return "?" + urlencode(sorted(params.lists()), doseq=True) if params else "?"


@register.simple_tag(takes_context=True)
def sort_link(context, key: str) -> str:
    """The query string that sorts by ``key``, or by ``-key`` when already sorted by it."""
    current = context.get("sort", "")
    return query_with(context, sort=f"-{key}" if current == key else key, page=None)


@register.simple_tag(takes_context=True)
def sort_state(context, key: str) -> str:
    current = context.get("sort", "")
    if current == key:
        return "ascending"
    if current == f"-{key}":
        return "descending"
    return "none"
