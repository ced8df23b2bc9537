"""Operations: what keeps a running installation healthy (retention)."""
