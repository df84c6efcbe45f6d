#!/bin/sh
# Entry point of the silo image. Orleans advertises an IP address to the other silos and to the front ends;
# unless Cluster__AdvertisedAddress is given, advertise this container's own address, as the container's
# /etc/hosts (written by Docker) knows it. Then run the command given (the silo).
set -eu
if [ -z "${Cluster__AdvertisedAddress:-}" ]; then
    Cluster__AdvertisedAddress=$(getent ahostsv4 "$(cat /etc/hostname)" | head -n 1 | cut -d ' ' -f 1)
    case "$Cluster__AdvertisedAddress" in
    "" | 127.*)
        echo "advertise-container-address: no usable address for this container ('$Cluster__AdvertisedAddress'); set Cluster__AdvertisedAddress" >&2
        exit 1
        ;;
    esac
    export Cluster__AdvertisedAddress
fi
exec "$@"
