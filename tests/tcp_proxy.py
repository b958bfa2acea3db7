"""A TCP proxy on 127.0.0.1 that can be cut and restored: a database outage without touching
the database server.

The app under test is pointed at the proxy instead of PostgreSQL. ``cut()`` drops every open
connection and turns new ones away (accepted, then closed at once, the way a server that is going
down or a broken network path looks to a client); ``restore()`` forwards again. The shared
PostgreSQL server itself is never stopped.

Usage::

    async with TcpProxy("127.0.0.1", 5432) as proxy:
        url = postgres_url.replace(":5432/", f":{proxy.port}/")
        ...
        proxy.cut()
        ...
        proxy.restore()

``lose_commit_reply(after=b"INSERT INTO log_entries")`` plays the nastiest outage: the ``COMMIT``
of the next transaction that sent those bytes reaches PostgreSQL and is carried out, but its
reply never comes back (the connection drops right then), so the client cannot know that its
transaction was stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from dataclasses import dataclass, field

CHUNK = 65536
#: A simple-protocol query message ('Q', a 4-byte length) whose text is COMMIT (asyncpg's commit).
COMMIT_QUERY = re.compile(rb"Q.{4}COMMIT", re.S)


@dataclass
class _Link:
    """One client connection and its upstream twin."""

    writers: list[asyncio.StreamWriter] = field(default_factory=list)
    #: The chosen statement went upstream: lose the reply to this link's next COMMIT.
    armed: bool = False
    #: A COMMIT went upstream: drop its reply and the connection.
    lose_reply: bool = False


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.refused = 0  # connections turned away while cut
        self._server: asyncio.Server | None = None
        self._cut = False
        self._silent = asyncio.Event()  # set: nothing passes, nothing is closed
        self._silent.set()
        self._open: set[asyncio.StreamWriter] = set()
        self._pipes: set[asyncio.Task[None]] = set()
        self._lose_after: bytes | None = None
        self.commit_replies_lost = 0

    @property
    def is_cut(self) -> bool:
        return self._cut

    async def __aenter__(self) -> TcpProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._drop_all()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._pipes):
            task.cancel()
        await asyncio.gather(*self._pipes, return_exceptions=True)

    def cut(self) -> None:
        """Drop every open connection now and turn new ones away until ``restore()``."""
        self._cut = True
        self._drop_all()

    def silence(self) -> None:
        """Let nothing through and close nothing: a network path that drops every packet.

        Open connections hang mid-query; new ones are accepted and then hear nothing back.
        """
        self._silent.clear()

    def lose_commit_reply(self, *, after: bytes) -> None:
        """For the next transaction that sends ``after`` (part of a statement's SQL): let its
        COMMIT through to the server, then drop the reply and the connection."""
        self._lose_after = after

    def restore(self) -> None:
        self._cut = False
        self._silent.set()

    def _drop_all(self) -> None:
        for writer in list(self._open):
            writer.transport.abort()
        self._open.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await self._silent.wait()
        if self._cut:
            self.refused += 1
            writer.transport.abort()
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._open.update((writer, upstream_writer))
        link = _Link([writer, upstream_writer])
        pipes = [
            asyncio.create_task(self._pipe(reader, upstream_writer, link, upstream=True)),
            asyncio.create_task(self._pipe(upstream_reader, writer, link, upstream=False)),
        ]
        self._pipes.update(pipes)
        for pipe in pipes:
            pipe.add_done_callback(self._pipes.discard)

    async def _pipe(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        link: _Link,
        *,
        upstream: bool,
    ) -> None:
        try:
            while data := await reader.read(CHUNK):
                await self._silent.wait()
                if upstream and self._lose_after is not None and self._lose_after in data:
                    self._lose_after = None
                    link.armed = True
                if upstream and link.armed and COMMIT_QUERY.search(data):
                    link.armed = False
                    link.lose_reply = True
                elif not upstream and link.lose_reply:
                    # The server has answered the COMMIT, so it is done; the client never hears.
                    self.commit_replies_lost += 1
                    for end in link.writers:
                        end.transport.abort()
                    return
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self._open.discard(writer)
            with contextlib.suppress(Exception):
                writer.transport.abort()
