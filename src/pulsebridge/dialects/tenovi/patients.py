"""``hwi/hwi-patients/``: the client's patients, looked up by ``external_id`` ignoring case."""

from __future__ import annotations

from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response

from pulsebridge.devices import services as device_services
from pulsebridge.devices.models import Patient

from . import schema, serializers, wire
from .base import TenoviView, domain_errors, search_term


def patients(company):
    return (
        Patient.objects.for_company(company)
        .filter(removed_at__isnull=True)
        .order_by("created_at", "id")
    )


class PatientsView(TenoviView):
    """List (always paginated, as the Swagger declares) and create."""

    @extend_schema(**schema.operation("hwi-patients_list"))
    def get(self, request, client_domain):
        rows = patients(self.company)
        term = search_term(request.query_params)
        if term:
            rows = rows.filter(
                Q(external_id__icontains=term)
                | Q(name__icontains=term)
                | Q(phone_number__icontains=term)
                | Q(email__icontains=term)
            )
        return self.paged(rows, wire.patient_details)

    @extend_schema(**schema.operation("hwi-patients_create"))
    def post(self, request, client_domain):
        body = self.validated(serializers.Patient)
        with domain_errors():
            patient = device_services.create_patient(
                self.company, body.validated_data["external_id"], **body.details()
            )
        return Response(wire.patient_details(patient), status=status.HTTP_201_CREATED)


class PatientView(TenoviView):
    """``hwi/hwi-patients/{external_id__iexact}/``: read, change, remove."""

    def _get(self, external_id: str) -> Patient:
        patient = device_services.find_patient(self.company, external_id)
        if patient is None:
            raise exceptions.NotFound()
        return patient

    @extend_schema(**schema.operation("hwi-patients_read"))
    def get(self, request, client_domain, external_id__iexact):
        return Response(wire.patient_details(self._get(external_id__iexact)))

    def _change(self, external_id: str, *, partial: bool) -> Response:
        patient = self._get(external_id)
        body = self.validated(serializers.Patient, partial=partial)
        with domain_errors():
            device_services.change_patient(
                patient, external_id=body.validated_data.get("external_id"), **body.details()
            )
        return Response(wire.patient_details(patient))

    @extend_schema(**schema.operation("hwi-patients_update"))
    def put(self, request, client_domain, external_id__iexact):
        return self._change(external_id__iexact, partial=False)

    @extend_schema(**schema.operation("hwi-patients_partial_update"))
    def patch(self, request, client_domain, external_id__iexact):
        return self._change(external_id__iexact, partial=True)

    @extend_schema(**schema.operation("hwi-patients_delete"))
    def delete(self, request, client_domain, external_id__iexact):
        device_services.remove_patient(self._get(external_id__iexact))
        return Response(status=status.HTTP_204_NO_CONTENT)
