# syntax=docker/dockerfile:1
# The server image: built with the .NET 10 SDK, run on the chiseled ASP.NET runtime (no shell, no package manager,
# non-root user "app", port 8080). Migrations run through the binary: `./Crm.GraphQL migrate` (see .do/app.yaml).
# Not built on the development machines (no Docker engine there): tests/Crm.Tests/Deployment checks its paths and
# runs the same `dotnet publish` output the way this image runs it.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore first, from the project files alone, so a code change does not invalidate the package layer.
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/Crm.Data/Crm.Data.csproj src/Crm.Data/
COPY src/Crm.Jobs/Crm.Jobs.csproj src/Crm.Jobs/
COPY src/Crm.OpenPhoneSimulator/Crm.OpenPhoneSimulator.csproj src/Crm.OpenPhoneSimulator/
COPY src/Crm.GraphQL/Crm.GraphQL.csproj src/Crm.GraphQL/
RUN dotnet restore src/Crm.GraphQL/Crm.GraphQL.csproj
COPY src/ src/
COPY clients/admin-static/ clients/admin-static/
RUN dotnet publish src/Crm.GraphQL/Crm.GraphQL.csproj -c Release --no-restore -o /app

# pg_dump and pg_restore for the backups (Backups:PgDumpPath): the chiseled runtime has no package manager, so they are
# taken from Ubuntu 24.04 (the runtime's own base, same glibc) with the libraries ldd lists, less glibc itself, into
# /opt/pgclient, their library path set to it (DT_RPATH, which covers libpq's own dependencies). Client 16 dumps and
# restores servers 15 and 16 (pg_dump must be at least the server's version).
FROM ubuntu:24.04 AS pgclient
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-client-16 patchelf \
 && mkdir -p /opt/pgclient/bin /opt/pgclient/lib \
 && cp /usr/lib/postgresql/16/bin/pg_dump /usr/lib/postgresql/16/bin/pg_restore /opt/pgclient/bin/ \
 && ldd /opt/pgclient/bin/pg_dump /opt/pgclient/bin/pg_restore | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | sort -u \
    | grep -Ev '/(libc|libm|libdl|libpthread|librt|libresolv|ld-linux[^/]*)\.so' | xargs -I{} cp -L {} /opt/pgclient/lib/ \
 && for f in /opt/pgclient/bin/* /opt/pgclient/lib/*; do patchelf --force-rpath --set-rpath /opt/pgclient/lib "$f"; done \
 && /opt/pgclient/bin/pg_dump --version

# -extra: ICU and tzdata, for culture-aware formatting (NodaTime carries its own time-zone data either way).
FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled-extra AS final
WORKDIR /app
COPY --from=build /app ./
COPY --from=pgclient /opt/pgclient /opt/pgclient
ENV ASPNETCORE_HTTP_PORTS=8080 \
    ASPNETCORE_ENVIRONMENT=Production \
    Backups__PgDumpPath=/opt/pgclient/bin/pg_dump
EXPOSE 8080
USER $APP_UID
# CMD, not ENTRYPOINT: a platform's run command (App Platform's run_command) or compose's `command` replaces it whole.
CMD ["./Crm.GraphQL"]
