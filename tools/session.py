"""A light Streamlit client over the websocket: open a page, upload a file to a keyed uploader, read what was drawn.

For server-side checks (memory, uploads) without a browser: it speaks the app's own protocol (the protobuf messages
in `streamlit.proto`), the XSRF cookie and the upload endpoint as the browser does, but draws nothing.
"""

from __future__ import annotations

import urllib.request
import uuid
from http.cookies import SimpleCookie

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.Common_pb2 import FileURLsRequest, UploadedFileInfo
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState, WidgetStates
from websockets.sync.client import connect

XSRF_COOKIE = "_streamlit_xsrf"
FINISHED = ForwardMsg.ScriptFinishedStatus.FINISHED_SUCCESSFULLY


class Session:
    """One visitor's session on a page: `with Session(url, "lab", "lang=en") as s: s.upload(key, name, data)`."""

    def __init__(self, base_url: str, page: str, query: str = "", timeout: float = 120.0) -> None:
        self.base_url, self.page, self.query, self.timeout = base_url, page, query, timeout
        self.widgets: dict[str, WidgetState] = {}  # the states this client has set, by widget id
        self.elements: list[object] = []  # the elements of the last finished run, in the order they came

    def __enter__(self) -> Session:
        with urllib.request.urlopen(f"{self.base_url}/_stcore/health", timeout=30) as reply:  # sets the XSRF cookie
            cookies = SimpleCookie("; ".join(reply.headers.get_all("Set-Cookie") or []))
        self.token = cookies[XSRF_COOKIE].value
        self.cookie = f"{XSRF_COOKIE}={self.token}"
        self.socket = connect(
            self.base_url.replace("http", "ws", 1) + "/_stcore/stream",
            subprotocols=["streamlit", self.token],
            additional_headers={"Cookie": self.cookie, "Origin": self.base_url},
            max_size=None,
            open_timeout=30,
        )
        self.session_id = ""
        self.rerun()
        return self

    def __exit__(self, *_: object) -> None:
        self.socket.close()

    def _send(self, message: BackMsg) -> None:
        self.socket.send(message.SerializeToString())

    def _receive(self) -> ForwardMsg:
        message = ForwardMsg()
        message.ParseFromString(self.socket.recv(timeout=self.timeout))
        if message.HasField("new_session"):
            self.session_id = message.new_session.initialize.session_id
        return message

    def rerun(self) -> None:
        """Run the page's script with the widget states set so far; wait until it has finished."""
        state = ClientState(query_string=self.query, page_name=self.page)
        state.widget_states.CopyFrom(WidgetStates(widgets=list(self.widgets.values())))
        self._send(BackMsg(rerun_script=state))
        elements: list[object] = []
        while True:
            message = self._receive()
            if message.HasField("delta") and message.delta.HasField("new_element"):
                elements.append(message.delta.new_element)
            elif message.HasField("script_finished"):
                if message.script_finished == FINISHED:
                    self.elements = elements
                    return
                elements = []  # a run cut short for the next one: its elements are replaced

    def of_type(self, kind: str) -> list[object]:
        """The elements of one kind drawn by the last run (`"file_uploader"`, `"alert"`, `"exception"` ...)."""
        return [getattr(element, kind) for element in self.elements if element.WhichOneof("type") == kind]

    def widget_id(self, kind: str, key: str) -> str:
        """The id of the widget of `kind` whose user key is `key` (Streamlit writes the key into the id)."""
        ids = [widget.id for widget in self.of_type(kind) if widget.id.endswith(f"-{key}")]
        if len(ids) != 1:
            raise LookupError(f"{len(ids)} {kind} widgets with key {key}")
        return ids[0]

    def set_bool(self, key: str, value: bool) -> None:
        """Set a checkbox or toggle and run the page again."""
        widget = self.widget_id("checkbox", key)
        self.widgets[widget] = WidgetState(id=widget, bool_value=value)
        self.rerun()

    def upload(self, key: str, name: str, data: bytes) -> None:
        """Upload `data` as `name` to the uploader `key` as the browser does, then run the page again."""
        widget = self.widget_id("file_uploader", key)
        request = FileURLsRequest(request_id=uuid.uuid4().hex, file_names=[name], session_id=self.session_id)
        self._send(BackMsg(file_urls_request=request))
        while not (message := self._receive()).HasField("file_urls_response"):
            pass
        urls = message.file_urls_response.file_urls[0]
        boundary = uuid.uuid4().hex
        body = b"".join(
            [
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'.encode(),
                b"Content-Type: application/octet-stream\r\n\r\n",
                data,
                f"\r\n--{boundary}--\r\n".encode(),
            ]
        )
        headers = {
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "X-Xsrftoken": self.token,
            "Cookie": self.cookie,
        }
        put = urllib.request.Request(self.base_url + urls.upload_url, data=body, headers=headers, method="PUT")
        with urllib.request.urlopen(put, timeout=self.timeout):
            pass
        info = UploadedFileInfo(name=name, size=len(data), file_id=urls.file_id, file_urls=urls)
        state = WidgetState(id=widget)
        state.file_uploader_state_value.uploaded_file_info.append(info)
        self.widgets[widget] = state
        self.rerun()
