"""Exercises voxtrace_observer.py without Pipecat or websockets installed.

Stand-ins replace the few Pipecat names the observer imports (frames, BaseObserver, and an
RTVIObserver that emits the RTVI message each scripted frame carries, through the same
``send_rtvi_message`` hook Pipecat's uses) and ``websockets`` (a client whose first connection
attempt is refused, to exercise the retry). It replays a fixture of RTVI messages (``at_ms`` +
``message``) as frames, then an ErrorFrame and an EndFrame, each pushed twice as frames are (once
per processor they cross), and prints every text frame the observer sends, one per line.

Usage: python3 check_observer.py <fixture.json> <base_epoch_seconds>
The package's test suite pipes the output into a real ``listenForPipecat`` server.
"""

import asyncio
import itertools
import json
import sys
import types
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any


def _module(name: str, **attrs: Any) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__dict__.update(attrs)
    sys.modules[name] = module
    return module


_ids = itertools.count(1)


class Frame:
    def __init__(self, rtvi: Any = None):
        self.id = next(_ids)
        self.rtvi = rtvi


class EndFrame(Frame):
    pass


class CancelFrame(Frame):
    pass


class ErrorFrame(Frame):
    def __init__(self, error: str, fatal: bool = False, processor: Any = None):
        super().__init__()
        self.error, self.fatal, self.processor = error, fatal, processor


@dataclass
class FramePushed:
    source: Any
    destination: Any
    frame: Frame
    direction: Any
    timestamp: int


class BaseObserver:
    def __init__(self, **kwargs: Any):
        self.name = kwargs.get("name", type(self).__name__)

    def __str__(self) -> str:
        return self.name

    async def cleanup(self) -> None:
        pass


class RTVIFunctionCallReportLevel(str, Enum):
    NONE = "none"
    NAME = "name"
    FULL = "full"


@dataclass
class RTVIObserverParams:
    function_call_report_level: dict = field(default_factory=lambda: {"*": RTVIFunctionCallReportLevel.NONE})
    vad_user_speaking_enabled: bool = False


class _Model:
    """What Pipecat's pydantic RTVI models offer the observer: model_dump(exclude_none=...)."""

    def __init__(self, message: dict):
        self._message = message

    def model_dump(self, exclude_none: bool = True) -> dict:
        return {k: v for k, v in self._message.items() if not (exclude_none and v is None)}


class RTVIObserver(BaseObserver):
    def __init__(self, rtvi: Any = None, *, params: Any = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.params = params

    async def on_push_frame(self, data: FramePushed) -> None:
        if data.frame.rtvi is not None:
            await self.send_rtvi_message(_Model(data.frame.rtvi))

    async def send_rtvi_message(self, model: Any, exclude_none: bool = True) -> None:
        raise AssertionError("the voxtrace observer must override send_rtvi_message")


class _Logger:
    def warning(self, message: str) -> None:
        print(f"warning: {message}", file=sys.stderr)

    def debug(self, message: str) -> None:
        pass


sent: list[str] = []
attempts: list[dict] = []


class _Socket:
    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc: Any) -> None:
        return None

    async def send(self, text: str) -> None:
        sent.append(text)


def connect(url: str, additional_headers: dict) -> _Socket:
    attempts.append({"url": url, **additional_headers})
    if len(attempts) == 1:
        raise ConnectionRefusedError("listener not up yet")
    return _Socket()


_module("loguru", logger=_Logger())
_module("pipecat")
_module("pipecat.frames")
_module("pipecat.frames.frames", Frame=Frame, EndFrame=EndFrame, CancelFrame=CancelFrame, ErrorFrame=ErrorFrame)
_module("pipecat.observers")
_module("pipecat.observers.base_observer", BaseObserver=BaseObserver, FramePushed=FramePushed)
_module("pipecat.processors")
_module("pipecat.processors.frameworks")
_module(
    "pipecat.processors.frameworks.rtvi",
    RTVIObserver=RTVIObserver,
    RTVIObserverParams=RTVIObserverParams,
    RTVIFunctionCallReportLevel=RTVIFunctionCallReportLevel,
)
_module("websockets")
_module("websockets.asyncio")
_module("websockets.asyncio.client", connect=connect)

sys.dont_write_bytecode = True  # leave no __pycache__ in the repository
sys.path.insert(0, str(Path(__file__).parent))
import voxtrace_observer  # noqa: E402


async def main(fixture: Path, base: float) -> None:
    clock = {"now": base}
    voxtrace_observer.time.time = lambda: clock["now"]
    real_sleep = asyncio.sleep
    voxtrace_observer.asyncio.sleep = lambda _secs: real_sleep(0)  # no real backoff here

    observer = voxtrace_observer.VoxtraceObserver(
        url="ws://127.0.0.1:1/", token="t" * 24, conversation_id="py-observer"
    )
    params = observer._tap.params
    assert params.function_call_report_level == {"*": RTVIFunctionCallReportLevel.NAME}
    assert params.vad_user_speaking_enabled is True

    async def push(frame: Frame, at_ms: float) -> None:
        clock["now"] = base + at_ms / 1000
        for _ in range(2):  # a frame is pushed once per processor it crosses
            await observer.on_push_frame(FramePushed("src", "dst", frame, "downstream", 0))

    events = json.loads(fixture.read_text())["events"]
    for event in events:
        clock["now"] = base + event["at_ms"] / 1000
        await observer.on_push_frame(FramePushed("src", "dst", Frame(event["message"]), "downstream", 0))
    last = events[-1]["at_ms"]
    await push(ErrorFrame("upstream timeout", processor="OpenAILLMService#0"), last + 10)
    await push(EndFrame(), last + 20)
    await observer.on_push_frame(FramePushed("src", "dst", Frame({"type": "late"}), "downstream", 0))
    await observer.cleanup()

    assert observer.dropped == 0, observer.dropped
    assert len(attempts) == 2, attempts
    assert attempts[-1]["Authorization"] == "Bearer " + "t" * 24, attempts
    for line in sent:
        print(line)


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), float(sys.argv[2])))
