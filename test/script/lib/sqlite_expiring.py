"""The statements after which an interrupt may leave dbcare unable to roll
back its own transaction (docs/security.md, "Known limit"): each expires
every prepared statement of the connection, and an expired statement must
be compiled again before it runs, which the interrupt stops too. A DDL
statement's ROLLBACK TO, CREATE INDEX and a TEMP trigger (a first use makes
them), ANALYZE and the PRAGMA optimize that runs it (a maintenance run's
last statement). The interrupt sweeps accept the advice to run ROLLBACK
only after one of these, the last statement the call began by SQLite's
trace."""
import re

EXPIRING = re.compile(r"\s*(CREATE\s+(UNIQUE\s+)?INDEX|CREATE\s+TEMP|ROLLBACK\s+TO|ANALYZE"
                      r"|PRAGMA\s+optimize)", re.I)
