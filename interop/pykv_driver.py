"""Drives the real py-key-value-aio for kvgen's interoperability tests.

The Go test starts this program with the library on PYTHONPATH and talks to
it over stdin/stdout, one JSON object per line each way:

    request:  {"op": "put", "args": {...}}
    response: {"ok": true, "result": ...}  or  {"ok": false, "error": "DecryptionError: ..."}

The store is FastMCP's: FernetEncryptionWrapper(PostgreSQLStore(table_name=...)),
or the bare PostgreSQLStore when no key is given (plaintext rows).
"""

import asyncio
import json
import sys
from datetime import timedelta

import key_value.aio._utils.managed_entry as managed_entry
import key_value.aio._utils.time_to_live as time_to_live

from cryptography.fernet import Fernet, MultiFernet
from key_value.aio.stores.postgresql import PostgreSQLStore
from key_value.aio.wrappers.encryption import FernetEncryptionWrapper


class Driver:
    def __init__(self):
        self.base = None
        self.store = None

    async def open(self, url, table, keys):
        self.base = PostgreSQLStore(url=url, table_name=table)
        await self.base.__aenter__()
        self.use(keys)
        return None

    def use(self, keys):
        if keys:
            fernet = MultiFernet([Fernet(k) for k in keys])
            self.store = FernetEncryptionWrapper(self.base, fernet=fernet)
        else:
            self.store = self.base
        return None

    def skew(self, seconds):
        """Moves this process's clock, as py-key-value sees it, by seconds:
        the library decides expiry on the client's clock."""
        offset = timedelta(seconds=seconds)
        real_now = time_to_live.datetime.now
        utc = time_to_live.timezone.utc

        def now():
            return real_now(tz=utc) + offset

        def now_plus(seconds):  # the library passes seconds= by name
            return now() + timedelta(seconds=seconds)

        for module in (time_to_live, managed_entry):
            module.now = now
            module.now_plus = now_plus
        return None

    async def close(self):
        await self.base.__aexit__(None, None, None)
        return None

    async def get(self, key, collection):
        return await self.store.get(key, collection=collection)

    async def get_many(self, keys, collection):
        return await self.store.get_many(keys, collection=collection)

    async def ttl(self, key, collection):
        value, ttl = await self.store.ttl(key, collection=collection)
        return [value, ttl]

    async def put(self, key, value, collection, ttl=None):
        await self.store.put(key, value, collection=collection, ttl=ttl)
        return None

    async def put_many(self, keys, values, collection, ttl=None):
        await self.store.put_many(keys, values, collection=collection, ttl=ttl)
        return None

    async def delete(self, key, collection):
        return await self.store.delete(key, collection=collection)

    async def delete_many(self, keys, collection):
        return await self.store.delete_many(keys, collection=collection)


async def serve():
    driver = Driver()
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            return
        request = json.loads(line)
        op = request["op"]
        try:
            method = getattr(driver, op)
            result = method(**request.get("args", {}))
            if asyncio.iscoroutine(result):
                result = await result
            response = {"ok": True, "result": result}
        except Exception as e:  # reported to the Go side, which decides
            response = {"ok": False, "error": f"{type(e).__name__}: {e}"}
        sys.stdout.write(json.dumps(response) + "\n")
        sys.stdout.flush()
        if op == "close":
            return


asyncio.run(serve())
