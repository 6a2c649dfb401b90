"""Test helpers for the API: callers with tokens, browser sessions, a webhook receiver's log."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from rest_framework.test import APIClient

from documents.api import tokens
from documents.models import ApiClient


@dataclass
class Caller:
    client: ApiClient
    token: str

    def http(self, keyword: str = "Token") -> APIClient:
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"{keyword} {self.token}")
        return api


def make_caller(name: str, types=("bank_slip", "vat_invoice"), **kwargs) -> Caller:
    client, token = tokens.create_client(name, type_codes=types, **kwargs)
    return Caller(client, token)


def session(user) -> APIClient:
    http = APIClient()
    http.force_login(user)
    return http


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A webhook endpoint on 127.0.0.1 answering the scripted statuses in turn (then 200)."""

    url: str
    answers: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
