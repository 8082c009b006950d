"""Forward a Pipecat bot's RTVI message stream to voxtrace.

Drop this file into your bot, then add the observer to your worker::

    from voxtrace_observer import VoxtraceObserver

    worker = PipelineWorker(  # PipelineTask on Pipecat < 1.3
        pipeline,
        conversation_id=conversation_id,
        params=PipelineParams(enable_metrics=True, enable_usage_metrics=True),
        observers=[
            VoxtraceObserver(
                url=os.environ["VOXTRACE_URL"],  # ws://127.0.0.1:4319/ from listenForPipecat()
                token=os.environ["VOXTRACE_TOKEN"],
                conversation_id=conversation_id,
            )
        ],
    )

It composes Pipecat's own ``RTVIObserver`` (so the messages are exactly the ones an RTVI client
gets) and sends each one as a JSON text frame ``{"conversation_id", "ts", "message"}`` to the
voxtrace listener, then ``{"conversation_id", "ts", "end": true}`` on ``EndFrame``/``CancelFrame``.
``ts`` is ``time.time()`` on the bot, so latencies carry no network delay. It also forwards
``ErrorFrame`` as an RTVI ``error`` message (``RTVIProcessor`` sends those itself, not the observer).

It never blocks or breaks the pipeline: messages go through a bounded queue to a background task
that (re)connects with backoff; when the queue is full, or a message is larger than the listener
accepts, the message is dropped and counted (``dropped``).

Why composition and not a subclass passed in ``observers=``: a ``PipelineWorker`` that finds an
``RTVIObserver`` among its observers stops creating its default RTVI processor and observer, which
breaks RTVI clients. This class is a plain ``BaseObserver``.

Requires Pipecat with ``pipecat.processors.frameworks.rtvi`` (protocol >= 1.2.0 for the function-call
messages; written against 1.7 / main) and the ``websockets`` package (``pip install websockets``).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import OrderedDict
from typing import Any, Optional

from loguru import logger
from pipecat.frames.frames import CancelFrame, EndFrame, ErrorFrame
from pipecat.observers.base_observer import BaseObserver, FramePushed
from pipecat.processors.frameworks.rtvi import (
    RTVIFunctionCallReportLevel,
    RTVIObserver,
    RTVIObserverParams,
)

try:  # websockets >= 13: the asyncio implementation, `additional_headers`
    from websockets.asyncio.client import connect as _ws_connect

    _HEADERS_ARG = "additional_headers"
except ImportError:  # older websockets: the legacy client, `extra_headers`
    from websockets import connect as _ws_connect  # type: ignore[no-redef]

    _HEADERS_ARG = "extra_headers"

__all__ = ["VoxtraceObserver", "default_params"]

_LABEL = "rtvi-ai"


def default_params() -> RTVIObserverParams:
    """RTVI observer settings for telemetry.

    Function calls are reported with their names (``NAME``: no arguments or results leave the bot;
    pass ``FULL`` to see them on spans), and raw VAD messages are on, for the VAD latency variant.
    Settings that an older Pipecat does not have are skipped.
    """
    params = RTVIObserverParams()
    if hasattr(params, "function_call_report_level"):
        params.function_call_report_level = {"*": RTVIFunctionCallReportLevel.NAME}
    if hasattr(params, "vad_user_speaking_enabled"):
        params.vad_user_speaking_enabled = True
    return params


class _Tap(RTVIObserver):
    """Pipecat's RTVIObserver, with its messages handed to a callback instead of the transport."""

    def __init__(self, deliver, params: RTVIObserverParams):
        super().__init__(None, params=params)
        self._deliver = deliver

    async def send_rtvi_message(self, model, exclude_none: bool = True):  # Pipecat >= 0.0.8x
        self._deliver(model.model_dump(exclude_none=exclude_none))

    async def push_transport_message_urgent(self, model, exclude_none: bool = True):  # older name
        self._deliver(model.model_dump(exclude_none=exclude_none))


class VoxtraceObserver(BaseObserver):
    """Sends the bot's RTVI messages to a voxtrace ``listenForPipecat`` server.

    Args:
        url: The listener's URL (``PipecatListener.url``), e.g. ``ws://127.0.0.1:4319/``.
        token: The listener's token, sent as ``Authorization: Bearer <token>``.
        conversation_id: Use the one you give ``PipelineWorker(conversation_id=...)`` so voxtrace's
            trace joins Pipecat's own spans. Default: a new UUID.
        params: RTVI observer settings. Default: :func:`default_params`.
        max_queue: Messages buffered while disconnected; beyond it new messages are dropped.
        max_message_bytes: Larger messages are dropped (keep it under the listener's
            ``maxPayloadBytes``, 1 MiB by default).
        flush_timeout_secs: How long ``cleanup()`` waits for the queue to drain.
    """

    def __init__(
        self,
        *,
        url: str,
        token: str,
        conversation_id: Optional[str] = None,
        params: Optional[RTVIObserverParams] = None,
        max_queue: int = 10_000,
        max_message_bytes: int = 1_000_000,
        flush_timeout_secs: float = 5.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.conversation_id = conversation_id or str(uuid.uuid4())
        self.dropped = 0
        self._url = url
        self._token = token
        self._max_queue = max_queue
        self._max_message_bytes = max_message_bytes
        self._flush_timeout_secs = flush_timeout_secs
        self._tap = _Tap(self._enqueue_message, params or default_params())
        self._queue: Optional[asyncio.Queue] = None
        self._sender: Optional[asyncio.Task] = None
        self._seen: OrderedDict[int, None] = OrderedDict()
        self._ended = False

    async def on_push_frame(self, data: FramePushed):
        """Feeds every push to Pipecat's RTVIObserver; forwards errors and the end itself."""
        frame = data.frame
        if self._ended:
            return
        try:
            if isinstance(frame, ErrorFrame) and self._first_push(frame):
                self._enqueue_message(
                    {"label": _LABEL, "type": "error", "data": {"error": _error_text(frame), "fatal": bool(frame.fatal)}}
                )
            await self._tap.on_push_frame(data)
            if isinstance(frame, (EndFrame, CancelFrame)) and self._first_push(frame):
                self._ended = True
                self._enqueue({"conversation_id": self.conversation_id, "ts": time.time(), "end": True}, last=True)
        except Exception as e:  # telemetry must never break the bot
            logger.warning(f"{self}: voxtrace observer error: {e}")

    async def cleanup(self):
        """Waits (bounded) for queued messages to be sent, then stops the sender."""
        await super().cleanup()
        await self._tap.cleanup()
        if self._sender is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._sender), timeout=self._flush_timeout_secs)
        except (asyncio.TimeoutError, asyncio.CancelledError):
            pass
        if not self._sender.done():
            self._sender.cancel()

    # -- internals ----------------------------------------------------------------------------

    def _first_push(self, frame) -> bool:
        """A frame is pushed once per processor it crosses; handle it once."""
        if frame.id in self._seen:
            return False
        self._seen[frame.id] = None
        if len(self._seen) > 1024:
            self._seen.popitem(last=False)
        return True

    def _enqueue_message(self, message: dict[str, Any]):
        self._enqueue({"conversation_id": self.conversation_id, "ts": time.time(), "message": message})

    def _enqueue(self, envelope: dict[str, Any], last: bool = False):
        text = json.dumps(envelope, default=str, ensure_ascii=False)
        if len(text.encode("utf-8")) > self._max_message_bytes:
            self.dropped += 1
            return
        if self._queue is None:  # created here: on_push_frame runs in the pipeline's loop
            self._queue = asyncio.Queue(maxsize=self._max_queue)
            self._sender = asyncio.get_running_loop().create_task(self._send_loop())
        try:
            self._queue.put_nowait((text, last))
        except asyncio.QueueFull:
            self.dropped += 1

    async def _send_loop(self):
        """Sends queued frames in order, reconnecting with backoff; ends after the end envelope."""
        assert self._queue is not None
        backoff = 0.5
        pending: Optional[tuple[str, bool]] = None
        while True:
            try:
                async with _ws_connect(
                    self._url, **{_HEADERS_ARG: {"Authorization": f"Bearer {self._token}"}}
                ) as ws:
                    backoff = 0.5
                    while True:
                        if pending is None:
                            pending = await self._queue.get()
                        text, last = pending
                        await ws.send(text)
                        pending = None
                        if last:
                            return
            except asyncio.CancelledError:
                raise
            except Exception as e:  # refused, closed by the listener, network down: retry
                logger.debug(f"{self}: voxtrace connection lost ({e}); retrying in {backoff:.1f}s")
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)


def _error_text(frame: ErrorFrame) -> str:
    """The error text, prefixed with the processor name when known, so voxtrace can tell the layer."""
    text = str(frame.error)
    processor = getattr(frame, "processor", None)
    if processor is not None and str(processor) not in text:
        return f"{processor}: {text}"
    return text
