namespace SessionGrains.Client.Admin;

/// <summary>One silo: address, membership status and session activations.</summary>
public sealed record SiloResponse(string Address, string Status, int SessionActivations);
