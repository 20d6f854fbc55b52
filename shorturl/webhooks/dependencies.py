"""`WebhookDispatcherDep`: the process's webhook dispatcher, for endpoints."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from shorturl.webhooks.dispatcher import WebhookDispatcher

__all__ = ["WebhookDispatcherDep"]


def _dispatcher(request: Request) -> WebhookDispatcher:
    return request.app.state.runtime.webhooks


WebhookDispatcherDep = Annotated[WebhookDispatcher, Depends(_dispatcher)]
