CREATE UNIQUE INDEX partials_ab ON partials (a COLLATE "RTRIM" DESC, b) WHERE b > 0 AND c <> 'WHERE';
