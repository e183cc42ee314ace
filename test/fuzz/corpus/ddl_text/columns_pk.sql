CREATE TABLE pk_multi (a TEXT, b INT, c, PRIMARY KEY (b, a COLLATE nocase DESC));
