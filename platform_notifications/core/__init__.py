"""Infrastructure every stage stands on: the task queue, SQL id sets, database engine features."""
