"""The SLI-bearing routes: ``/ping`` and a small catalog/orders API. Faults apply only here.

The catalog is computed, not stored, and orders are not kept: the memory fault must be the only thing
that makes the process grow, or a memory drill would measure the wrong leak.
"""

from __future__ import annotations

import itertools
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from sample_app.faults import FaultInjector
from sample_app.settings import FailMode

__all__ = ["CATALOG_SIZE", "FAULT_HEADER", "Item", "Order", "OrderRequest", "api_router", "find_item"]

CATALOG_SIZE = 1000
# Tells a drill's client which responses carried an injected fault, to separate cause from noise.
FAULT_HEADER = "X-Fault-Injected"


class Item(BaseModel):
    id: int
    name: str
    price_cents: int
    in_stock: bool


class OrderRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item_id: int = Field(ge=1)
    quantity: int = Field(ge=1, le=100)


class Order(BaseModel):
    id: int
    item_id: int
    quantity: int
    total_cents: int
    status: str


def find_item(item_id: int) -> Item | None:
    if not 1 <= item_id <= CATALOG_SIZE:
        return None
    return Item(
        id=item_id,
        name=f"item-{item_id:04d}",
        price_cents=199 + (item_id * 37) % 5000,
        in_stock=item_id % 7 != 0,
    )


def api_router(injector: FaultInjector) -> APIRouter:
    async def inject_fault(response: Response) -> None:
        mode = await injector.apply()
        if mode is FailMode.ERROR:
            raise HTTPException(500, "injected fault", {FAULT_HEADER: mode.value})
        if mode is not None:
            response.headers[FAULT_HEADER] = mode.value

    router = APIRouter(dependencies=[Depends(inject_fault)])
    order_ids = itertools.count(1)

    @router.get("/ping", tags=["sli"])
    async def ping() -> dict[str, str]:
        return {"ping": "pong"}

    @router.get("/api/items/{item_id}", tags=["api"])
    async def get_item(item_id: Annotated[int, Path(ge=1)]) -> Item:
        item = find_item(item_id)
        if item is None:
            raise HTTPException(404, "item not found")
        return item

    @router.post("/api/orders", status_code=201, tags=["api"])
    async def create_order(order: OrderRequest) -> Order:
        item = find_item(order.item_id)
        if item is None:
            raise HTTPException(422, "unknown item_id")
        if not item.in_stock:
            raise HTTPException(409, "item out of stock")
        return Order(
            id=next(order_ids),
            item_id=item.id,
            quantity=order.quantity,
            total_cents=item.price_cents * order.quantity,
            status="accepted",
        )

    return router
