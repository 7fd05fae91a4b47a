"""Routers: judge (LLM), classifier (fine-tuned encoder) and baselines, behind one interface."""

from routerlab.routers.base import (
    Decision,
    Router,
    choose_model,
    make_router,
    register_router,
    router_names,
)

__all__ = ["Decision", "Router", "choose_model", "make_router", "register_router", "router_names"]
