# A SessionGrains silo (cluster mode). Build from the repository root:
#   docker build -f deploy/silo.Dockerfile -t session-grains-silo .
# Configured by environment variables only (Cluster__Redis, ...; see README "Run a cluster with docker compose").

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore from the project files alone, so this layer is rebuilt only when a dependency changes.
COPY Directory.Build.props Directory.Packages.props ./
COPY Grains.Interfaces/Grains.Interfaces.csproj Grains.Interfaces/
COPY Grains/Grains.csproj Grains/
COPY Hosting/Hosting.csproj Hosting/
COPY SessionGrains.Direct/SessionGrains.Direct.csproj SessionGrains.Direct/
COPY Silo/Silo.csproj Silo/
RUN dotnet restore Silo/Silo.csproj
COPY Grains.Interfaces/ Grains.Interfaces/
COPY Grains/ Grains/
COPY Hosting/ Hosting/
COPY SessionGrains.Direct/ SessionGrains.Direct/
COPY Silo/ Silo/
RUN dotnet publish Silo/Silo.csproj -c Release --no-restore -o /app -p:UseAppHost=false

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
COPY deploy/advertise-container-address.sh /usr/local/bin/
# Kestrel (health, metrics) on 8080 (the image's ASPNETCORE_HTTP_PORTS), silo-to-silo 11111, gateway 30000.
EXPOSE 8080 11111 30000
# The image has neither curl nor wget: bash's /dev/tcp asks /healthz and expects a 200 status line.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD bash -c 'exec 3<>/dev/tcp/127.0.0.1/8080 && printf "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n" >&3 && head -n 1 <&3 | grep -q " 200 "'
USER $APP_UID
ENTRYPOINT ["/bin/sh", "/usr/local/bin/advertise-container-address.sh", "dotnet", "SessionGrains.Silo.dll"]
