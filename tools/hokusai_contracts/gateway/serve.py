"""The gateway server process: ``python -m hokusai_contracts.gateway.serve --config FILE --port P``."""

from __future__ import annotations

import argparse
from pathlib import Path

import uvicorn

from hokusai_contracts.gateway.app import create_gateway_app
from hokusai_contracts.gateway.config import GatewayConfig


def main(argv: list[str] | None = None) -> None:
    """Run the gateway described by ``--config`` under uvicorn until it is stopped."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    config = GatewayConfig.from_json(args.config.read_text())
    uvicorn.run(create_gateway_app(config), host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
