# Builds the inframap binary; the database comes from the postgis/postgis
# image (see docker-compose.yml). gdal-bin lets imports read shapefiles,
# geodatabases, GeoPackages, KML, DXF and GML (optional: without it those
# imports answer 503 naming the package).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /out/inframap ./cmd/inframap

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates tzdata postgresql-client gdal-bin \
    && rm -rf /var/lib/apt/lists/* && useradd --system --home /var/lib/inframap inframap \
    && mkdir -p /var/lib/inframap && chown inframap /var/lib/inframap
COPY --from=build /out/inframap /usr/local/bin/inframap
USER inframap
ENV INFRAMAP_ADDR=0.0.0.0:8080 INFRAMAP_DATA_DIR=/var/lib/inframap
EXPOSE 8080
ENTRYPOINT ["inframap"]
CMD ["serve", "-demo"]
