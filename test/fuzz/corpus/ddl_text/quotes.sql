CREATE TABLE "we""ird" ([a b] TEXT, `c` INT, CONSTRAINT "k;--" UNIQUE (a, "c" COLLATE nocase DESC), FOREIGN KEY (c) REFERENCES p(x), CHECK (a <> ')' /* ) */ -- )
))