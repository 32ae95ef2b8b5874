# The published instance: the database baked into the image, served read-only on $PORT.
#   make sample-db   (or `openup load` real exports into databases/openup.db)
#   docker build -t openup . && docker run -p 8080:8080 openup
FROM python:3.11-slim

WORKDIR /app
COPY setup.cfg pyproject.toml README.md metadata.yml ./
COPY scripts ./scripts
COPY plugins ./plugins
COPY templates ./templates
RUN pip install --no-cache-dir -e .

COPY databases/openup.db ./databases/openup.db
# Everything the server would otherwise compute at start: table counts and republishing files.
RUN openup inspect databases/openup.db \
 && openup export --db databases/openup.db databases/exporter > /dev/null

ENV PORT=8080
# exec: the server itself gets the platform's SIGTERM (a rolling update stops it cleanly)
EXPOSE 8080
USER nobody
CMD ["sh", "-c", "exec openup serve databases/openup.db --host 0.0.0.0 --port ${PORT} --exports databases/exporter"]
