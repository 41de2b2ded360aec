"""`manage.py check_database`: one line saying what to do when the database can't be used.

`make run` and `make migrate` call it before `migrate`, whose answer to a DATABASE_URL
naming a database that does not exist yet is a long traceback.
"""

import shlex
from typing import TYPE_CHECKING, Any, cast

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections

if TYPE_CHECKING:
    # Importing it for real needs psycopg, which a SQLite setup may not have.
    from django.db.backends.postgresql.base import DatabaseWrapper as PostgreSQLWrapper


class Command(BaseCommand):
    help = "Connect to the database; if that fails, say why in one line (and how to fix it)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args: Any, **options: Any) -> None:
        connection = connections[options["database"]]
        if connection.vendor == "postgresql":
            postgresql = cast("PostgreSQLWrapper", connection)
            # One plain connection, not the pool's, which would retry and log each failure.
            try:
                postgresql.Database.connect(**postgresql.get_connection_params()).close()
            except postgresql.Database.Error as error:
                raise CommandError(_postgresql_problem(connection, error)) from None
        else:
            try:
                connection.ensure_connection()
            except OperationalError as error:
                raise CommandError(f"Cannot open the database: {_first_line(error)}") from None
            finally:
                connection.close()
        if options["verbosity"] > 1:
            self.stdout.write(f"Database {connection.settings_dict['NAME']} is reachable.")


def _postgresql_problem(connection: Any, error: Exception) -> str:
    settings = connection.settings_dict
    name, host, port = settings["NAME"], settings["HOST"] or "localhost", settings["PORT"] or "5432"
    where = f"{host}:{port}"
    if _server_lacks_database(connection, name):
        command = ["createdb", "-h", host, "-p", port]
        if settings["USER"]:
            command += ["-U", settings["USER"]]
        return (
            f'Database "{name}" does not exist on {where}. '
            f"Create it with: {shlex.join([*command, name])}"
        )
    return (
        f"Cannot connect to PostgreSQL at {where} (database {name}): {_first_line(error)}. "
        "Check DATABASE_URL, or unset it to use SQLite."
    )


def _server_lacks_database(connection: Any, name: str) -> bool:
    """True when the server answers on its maintenance database and has no database `name`;
    False when it can't be asked (down, bad credentials), so the caller reports the error."""
    params = {**connection.get_connection_params(), "dbname": "postgres"}
    try:
        with connection.Database.connect(**params) as server:
            found = server.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            return found.fetchone() is None
    except connection.Database.Error:  # down, refused, bad credentials: could not ask
        return False


def _first_line(error: Exception) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    # psycopg prefixes the server's words with where it was connecting to, said already.
    return text.rsplit(" failed: ", 1)[-1].removeprefix("FATAL:").strip()
