"""The PING customer API under ``/ping/1.0/``. Views translate between the wire and the
tracking services; every query is scoped to the token's customer, and another customer's
object is answered 404."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, F
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.response import Response
from rest_framework.views import APIView

from pulsebridge.core.drf import RefusesNulCharacters
from pulsebridge.core.lockout import Guard
from pulsebridge.lib.parsers import StrictJSONParser
from pulsebridge.tracking import applications, services
from pulsebridge.tracking.models import Configuration, DeviceGroup, GeoGroup, Tracker, TrackerEvent

from . import filters, serializers
from .auth import ActsForCustomer, BearerAuthentication
from .pagination import PingPagination


def _listed(errors: Any) -> Any:
    """DRF's error shape: every message in a list, nested objects kept."""
    if isinstance(errors, dict):
        return {key: _listed(value) for key, value in errors.items()}
    if isinstance(errors, list):
        return errors
    return [errors]


def _invalid(exc: services.TrackingError | DjangoValidationError) -> exceptions.ValidationError:
    if isinstance(exc, services.TrackingError):
        return exceptions.ValidationError(_listed(exc.errors))
    if hasattr(exc, "error_dict"):
        return exceptions.ValidationError(
            {
                "non_field_errors" if field == "__all__" else field: messages
                for field, messages in exc.message_dict.items()
            }
        )
    return exceptions.ValidationError({"non_field_errors": exc.messages})


class PingOrdering(OrderingFilter):
    """``ordering=-a,b``; rows without a value sort last either way on SQLite and PostgreSQL
    alike, and the id breaks ties so that pages never overlap."""

    def remove_invalid_fields(self, queryset, fields, view, request):
        """An unknown field is a 400 naming it, not silently the default order."""
        valid = {
            name for name, _label in self.get_valid_fields(queryset, view, {"request": request})
        }
        unknown = [term for term in fields if term.lstrip("-") not in valid]
        if unknown:
            raise exceptions.ValidationError(
                {
                    self.ordering_param: [
                        f"unknown ordering field: {', '.join(unknown)}; "
                        f"one of {', '.join(sorted(valid))}"
                    ]
                }
            )
        return super().remove_invalid_fields(queryset, fields, view, request)

    def get_ordering(self, request, queryset, view):
        names = super().get_ordering(request, queryset, view) or []
        sources = getattr(view, "ordering_sources", {})
        ordering = []
        for name in names:
            descending = name.startswith("-")
            field = F(sources.get(name.lstrip("-"), name.lstrip("-")))
            ordering.append(
                field.desc(nulls_last=True) if descending else field.asc(nulls_last=True)
            )
        if not any(n.lstrip("-") in ("id", "pk") for n in names):
            ordering.append(F("pk").asc())
        return ordering


class PingView(RefusesNulCharacters, APIView):
    authentication_classes = [BearerAuthentication]
    permission_classes = [ActsForCustomer]
    parser_classes = [StrictJSONParser]

    @property
    def company(self):
        return self.request.company


class PingViewSet(RefusesNulCharacters, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    authentication_classes = [BearerAuthentication]
    permission_classes = [ActsForCustomer]
    parser_classes = [StrictJSONParser]
    pagination_class = PingPagination
    filter_backends = [DjangoFilterBackend, SearchFilter, PingOrdering]
    lookup_value_converter = "rowid"  # registered in urls.py: ids that fit a BIGINT
    ordering = ["id"]

    @property
    def company(self):
        if getattr(self, "swagger_fake_view", False):  # OpenAPI schema generation
            return None
        return self.request.company

    def get_object(self):
        obj = self.get_queryset().filter(pk=self.kwargs["pk"]).first()
        if obj is None:
            raise exceptions.NotFound()
        return obj

    def list(self, request, *args, **kwargs):
        """One page: the filtered, ordered ids first (a query the indexes answer alone), then
        the rows of those ids with their relations. Joining the relations before the limit
        would make the database join every match, not only the page's."""
        queryset = self.get_queryset()
        ids = self.paginate_queryset(self.filter_queryset(queryset).values_list("pk", flat=True))
        rows = queryset.in_bulk(list(ids))
        serializer = self.get_serializer([rows[pk] for pk in ids if pk in rows], many=True)
        return self.get_paginated_response(serializer.data)

    def validated(self, **kwargs):
        serializer = self.get_serializer(data=self.request.data, **kwargs)
        if kwargs.get("instance") is not None:
            _refuse_read_only_changes(serializer, kwargs["instance"], self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


def _refuse_read_only_changes(serializer, instance, data) -> None:
    """A read-only field given with another value than it has is a 400 naming it, not a silent
    200; given with its own value (a client writing back what it read) it is fine."""
    if not isinstance(data, dict):
        return
    read_only = [
        name for name, field in serializer.fields.items() if field.read_only and name in data
    ]
    if not read_only:
        return
    current = type(serializer)(instance, context=serializer.context).data
    # a field the answer does not carry (an application's client_secret after its creation)
    # cannot be compared: it is ignored, as DRF ignores read-only fields
    changed = [name for name in read_only if name in current and data[name] != current[name]]
    if changed:
        raise exceptions.ValidationError({name: ["This field is read-only."] for name in changed})


# Accounts ------------------------------------------------------------------------------------


class MeView(PingView):
    @extend_schema(responses=serializers.AccountSerializer)
    def get(self, request):
        return Response(serializers.AccountSerializer(request.user).data)


# Wrong old passwords per account and per address (core.lockout).
PASSWORD_GUARD = Guard("ping.password_change", actor="ping")


class PasswordChangeView(PingView):
    @extend_schema(request=serializers.PasswordChangeSerializer, responses={204: None})
    def post(self, request):
        account = request.user.get_username()
        attempt = PASSWORD_GUARD.check(request, account)
        if attempt.wait:
            raise exceptions.Throttled(
                attempt.wait,
                detail=f"Too many wrong old passwords; try again in {attempt.wait} seconds.",
            )
        serializer = serializers.PasswordChangeSerializer(
            data=request.data, context={"user": request.user}
        )
        if not serializer.is_valid():
            if "old_password" in serializer.errors:
                attempt.failed()
            raise exceptions.ValidationError(serializer.errors)
        attempt.succeeded()
        applications.change_password(request.user, serializer.validated_data["password"])
        return Response(status=status.HTTP_204_NO_CONTENT)


# Applications --------------------------------------------------------------------------------


class ApplicationViewSet(PingViewSet):
    queryset = applications.Application.objects.none()
    serializer_class = serializers.ApplicationSerializer
    filter_backends = []

    def get_queryset(self):
        return applications.Application.objects.filter(user=self.request.user).order_by("id")

    def create(self, request):
        data = self.validated()
        try:
            application, secret = applications.create_application(
                request.user,
                name=data["name"],
                grant_type=data["authorization_grant_type"],
                redirect_uris=data.get("redirect_uris", []),
            )
        except DjangoValidationError as exc:
            raise _invalid(exc) from None
        application.plain_client_secret = secret
        return Response(self.get_serializer(application).data, status=status.HTTP_201_CREATED)

    def _update(self, request, partial: bool):
        application = self.get_object()
        data = self.validated(instance=application, partial=partial)
        try:
            applications.update_application(
                application,
                name=data.get("name"),
                grant_type=data.get("authorization_grant_type"),
                redirect_uris=data.get("redirect_uris", None if partial else []),
            )
        except DjangoValidationError as exc:
            raise _invalid(exc) from None
        return Response(self.get_serializer(application).data)

    def update(self, request, pk=None):
        return self._update(request, partial=False)

    def partial_update(self, request, pk=None):
        return self._update(request, partial=True)

    def destroy(self, request, pk=None):
        applications.delete_application(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


# Configurations ------------------------------------------------------------------------------


class ConfigurationViewSet(PingViewSet):
    queryset = Configuration.objects.none()  # for the OpenAPI schema; get_queryset scopes it
    serializer_class = serializers.ConfigurationSerializer
    filterset_class = filters.ConfigurationFilter
    search_fields = ["name"]
    ordering_fields = ["name", "created_at", "modified_at"]

    def get_queryset(self):
        return Configuration.objects.for_company(self.company).select_related("company")

    def create(self, request):
        data = self.validated()
        try:
            config = services.create_configuration(
                self.company,
                name=data.get("name", ""),
                description=data.get("description", ""),
                settings=data.get("settings"),
            )
        except services.TrackingError as exc:
            raise _invalid(exc) from None
        return Response(self.get_serializer(config).data, status=status.HTTP_201_CREATED)

    def _update(self, request, partial: bool):
        config = self.get_object()
        data = self.validated(instance=config, partial=partial)
        try:
            services.update_configuration(
                config,
                name=data.get("name", None if partial else ""),
                description=data.get("description", None if partial else ""),
                settings=data.get("settings"),
                replace=not partial,
            )
        except services.TrackingError as exc:
            raise _invalid(exc) from None
        return Response(self.get_serializer(config).data)

    def update(self, request, pk=None):
        return self._update(request, partial=False)

    def partial_update(self, request, pk=None):
        return self._update(request, partial=True)

    def destroy(self, request, pk=None):
        try:
            services.delete_configuration(self.get_object())
        except services.TrackingError as exc:
            raise _invalid(exc) from None
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        config = services.publish_configuration(self.get_object())
        return Response(self.get_serializer(config).data)


# Devices -------------------------------------------------------------------------------------


def trackers_of(company):
    if company is None:
        return Tracker.objects.none()
    services.ensure_trackers(company)
    return (
        Tracker.objects.for_company(company)
        .select_related("device", "group__configuration")
        .prefetch_related("geo_memberships")
    )


class DeviceViewSet(PingViewSet):
    queryset = Tracker.objects.none()  # for the OpenAPI schema; get_queryset scopes it
    serializer_class = serializers.DeviceSerializer
    filterset_class = filters.DeviceFilter
    search_fields = ["device__imei", "device__mac"]
    ordering_fields = [
        "id",
        "imei",
        "mac",
        "last_event_timestamp",
        "last_event_created_at",
        "created_at",
        "modified_at",
    ]
    # Joined only when asked for, so that counting a filtered list needs no join.
    ordering_sources = {"imei": "device__imei", "mac": "device__mac"}

    def get_queryset(self):
        return trackers_of(self.company)

    def _update(self, request, partial: bool):
        tracker = self.get_object()
        data = self.validated(instance=tracker, partial=partial)
        if "group" in data or not partial:
            group = data.get("group")
            if group is None:
                services.move_trackers(None, [tracker])
            else:
                services.move_trackers(group, [tracker])
        return Response(self.get_serializer(self.get_object()).data)

    def update(self, request, pk=None):
        return self._update(request, partial=False)

    def partial_update(self, request, pk=None):
        return self._update(request, partial=True)


# Customer groups -----------------------------------------------------------------------------


class DeviceGroupViewSet(PingViewSet):
    queryset = DeviceGroup.objects.none()  # for the OpenAPI schema; get_queryset scopes it
    serializer_class = serializers.DeviceGroupSerializer
    filterset_class = filters.DeviceGroupFilter
    search_fields = ["name"]
    ordering_fields = ["id", "name", "created_at", "modified_at"]

    def get_queryset(self):
        return (
            DeviceGroup.objects.for_company(self.company)
            .select_related("company")
            .annotate(device_count=Count("trackers"))
        )

    def create(self, request):
        data = self.validated()
        try:
            group = services.create_group(
                self.company,
                name=data["name"],
                description=data.get("description", ""),
                configuration=data.get("configuration"),
            )
        except services.TrackingError as exc:
            raise _invalid(exc) from None
        return Response(
            self.get_serializer(self.get_queryset().get(pk=group.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    def _update(self, request, partial: bool):
        group = self.get_object()
        data = self.validated(instance=group, partial=partial)
        changes: dict[str, Any] = {
            "name": data.get("name"),
            "description": data.get("description", None if partial else ""),
        }
        if "configuration" in data or not partial:
            changes["configuration"] = data.get("configuration")
        try:
            services.update_group(group, **changes)
        except services.TrackingError as exc:
            raise _invalid(exc) from None
        return Response(self.get_serializer(self.get_object()).data)

    def update(self, request, pk=None):
        return self._update(request, partial=False)

    def partial_update(self, request, pk=None):
        return self._update(request, partial=True)

    def destroy(self, request, pk=None):
        services.delete_group(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=serializers.GroupDevicesSerializer)
    @action(detail=True, methods=["get", "post"], url_path="devices")
    def devices(self, request, pk=None):
        """GET: the group's devices (a device list page). POST ``{"devices": [ids]}``: move
        those devices into the group."""
        group = self.get_object()
        if request.method == "GET":
            ids = self.paginate_queryset(
                trackers_of(self.company)
                .filter(group=group)
                .order_by("id")
                .values_list("pk", flat=True)
            )
            rows = trackers_of(self.company).in_bulk(list(ids))
            page = [rows[pk] for pk in ids if pk in rows]
            data = serializers.DeviceSerializer(
                page, many=True, context=self.get_serializer_context()
            ).data
            return self.get_paginated_response(data)
        body = serializers.GroupDevicesSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        wanted = set(body.validated_data["devices"])
        trackers = list(trackers_of(self.company).filter(pk__in=wanted))
        missing = sorted(wanted - {t.pk for t in trackers})
        if missing:
            raise exceptions.ValidationError(
                {"devices": [f"no such device: {', '.join(map(str, missing))}"]}
            )
        services.move_trackers(group, trackers)
        return Response({"count": len(trackers)})

    @action(detail=True, methods=["delete"], url_path="devices/<rowid:device_id>")
    def remove_device(self, request, pk=None, device_id=None):
        """Take one device out of the group (it keeps the default configuration)."""
        group = self.get_object()
        tracker = (
            Tracker.objects.for_company(self.company).filter(pk=device_id, group=group).first()
        )
        if tracker is None:
            raise exceptions.NotFound()
        services.remove_trackers(group, [tracker])
        return Response(status=status.HTTP_204_NO_CONTENT)


# Geo groups ----------------------------------------------------------------------------------


class GeoGroupViewSet(PingViewSet):
    queryset = GeoGroup.objects.none()  # for the OpenAPI schema; get_queryset scopes it
    serializer_class = serializers.GeoGroupSerializer
    filterset_class = filters.GeoGroupFilter
    search_fields = ["name"]
    ordering_fields = ["id", "name", "created_at", "modified_at"]

    def get_queryset(self):
        return GeoGroup.objects.for_company(self.company).select_related("company")

    def create(self, request):
        data = self.validated()
        try:
            geogroup = services.create_geogroup(
                self.company, name=data["name"], boundary=data["boundary"]
            )
        except services.TrackingError as exc:
            raise _invalid(exc) from None
        return Response(self.get_serializer(geogroup).data, status=status.HTTP_201_CREATED)

    def _update(self, request, partial: bool):
        geogroup = self.get_object()
        data = self.validated(instance=geogroup, partial=partial)
        try:
            services.update_geogroup(geogroup, name=data.get("name"), boundary=data.get("boundary"))
        except services.TrackingError as exc:
            raise _invalid(exc) from None
        return Response(self.get_serializer(geogroup).data)

    def update(self, request, pk=None):
        return self._update(request, partial=False)

    def partial_update(self, request, pk=None):
        return self._update(request, partial=True)

    def destroy(self, request, pk=None):
        services.delete_geogroup(self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


# Events --------------------------------------------------------------------------------------


class EventViewSet(PingViewSet):
    queryset = TrackerEvent.objects.none()  # for the OpenAPI schema; get_queryset scopes it
    serializer_class = serializers.EventSerializer
    filterset_class = filters.EventFilter
    search_fields = ["tracker__device__imei", "type"]
    ordering_fields = ["id", "timestamp", "created_at"]
    ordering = ["-timestamp"]

    def get_queryset(self):
        return TrackerEvent.objects.for_company(self.company).select_related("tracker__device")
