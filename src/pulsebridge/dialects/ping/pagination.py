"""PING lists: ``{"count", "num_pages", "results"}``, ``?page=N``."""

from __future__ import annotations

from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response


class PingPagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 1000

    def get_paginated_response(self, data):
        return Response(
            {
                "count": self.page.paginator.count,
                "num_pages": self.page.paginator.num_pages,
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["count", "num_pages", "results"],
            "properties": {
                "count": {"type": "integer"},
                "num_pages": {"type": "integer"},
                "results": schema,
            },
        }
