CREATE TABLE books (
  id INTEGER PRIMARY KEY,
  author_id INTEGER NOT NULL REFERENCES authors(id) ON DELETE CASCADE,
  title TEXT NOT NULL CHECK (length(title) > 0),
  pages INTEGER DEFAULT 0,
  CONSTRAINT pages_positive CHECK (pages >= 0)
)