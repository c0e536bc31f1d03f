FROM python:3.12-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY postal ./postal
COPY labels ./labels
COPY db ./db
RUN pip install --no-cache-dir -e . && useradd --system postal && mkdir -p /data && chown postal /data
USER postal
ENV POSTAL_DATA_DIR=/data
EXPOSE 8080
CMD ["postal", "serve", "--host", "0.0.0.0", "--port", "8080"]
