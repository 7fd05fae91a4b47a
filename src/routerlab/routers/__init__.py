"""Routers: judge (LLM), classifier (fine-tuned encoder), in-domain and baselines, behind one
interface: :class:`Router` decides; :class:`ScoringRouter` scores models and shares one policy."""

from routerlab.routers.base import (
    Decision,
    Router,
    ScoringRouter,
    choose_model,
    make_router,
    register_router,
    registry_restored,
    router_names,
)

__all__ = [
    "Decision",
    "Router",
    "ScoringRouter",
    "choose_model",
    "make_router",
    "register_router",
    "registry_restored",
    "router_names",
]
