# A SessionGrains front end (cluster mode: an Orleans client of the silos). Build from the repository root:
#   docker build -f deploy/frontend.Dockerfile -t session-grains-frontend .
# Configured by environment variables only (Cluster__Redis, Tokens__SigningKey, Admin__ApiKey, ...; see README).

# The example pages' browser libraries (Client/wwwroot/lib/package.json, e.g. @microsoft/signalr for /chat.html),
# installed from the committed lock file.
FROM node:20-slim AS browser-libraries
WORKDIR /lib
COPY Client/wwwroot/lib/package.json Client/wwwroot/lib/package-lock.json ./
RUN npm ci --no-audit --no-fund

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore from the project files alone, so this layer is rebuilt only when a dependency changes.
COPY Directory.Build.props Directory.Packages.props ./
COPY Grains.Interfaces/Grains.Interfaces.csproj Grains.Interfaces/
COPY Grains/Grains.csproj Grains/
COPY Hosting/Hosting.csproj Hosting/
COPY SessionGrains.Direct/SessionGrains.Direct.csproj SessionGrains.Direct/
COPY SessionGrains.SignalR/SessionGrains.SignalR.csproj SessionGrains.SignalR/
COPY Client/Client.csproj Client/
RUN dotnet restore Client/Client.csproj
COPY Grains.Interfaces/ Grains.Interfaces/
COPY Grains/ Grains/
COPY Hosting/ Hosting/
COPY SessionGrains.Direct/ SessionGrains.Direct/
COPY SessionGrains.SignalR/ SessionGrains.SignalR/
COPY Client/ Client/
RUN dotnet publish Client/Client.csproj -c Release --no-restore -o /app -p:UseAppHost=false

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
COPY --from=browser-libraries /lib/node_modules ./wwwroot/lib/node_modules
# HTTP and WebSockets on 8080 (the image's ASPNETCORE_HTTP_PORTS); the example page is in /app/wwwroot.
EXPOSE 8080
# The image has neither curl nor wget: bash's /dev/tcp asks /healthz and expects a 200 status line.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD bash -c 'exec 3<>/dev/tcp/127.0.0.1/8080 && printf "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n" >&3 && head -n 1 <&3 | grep -q " 200 "'
USER $APP_UID
ENTRYPOINT ["dotnet", "SessionGrains.Client.dll"]
