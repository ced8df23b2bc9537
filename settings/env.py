"""Read database settings from the environment (``DATABASE_URL``)."""

import os


def database_from_env() -> dict | None:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return None
    import dj_database_url

    config = dj_database_url.parse(url, conn_max_age=0)
    if config["ENGINE"] == "django.db.backends.mysql":
        import pymysql

        # PyMySQL stands in for mysqlclient, which needs the MariaDB C headers to build.
        pymysql.install_as_MySQLdb()
        config.setdefault("OPTIONS", {})["charset"] = "utf8mb4"
    return config
