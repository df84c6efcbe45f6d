using SessionGrains.Grains.Storage;
using SessionGrains.Interfaces.SignalR;

namespace SessionGrains.Grains.SignalR;

/// <summary>The persisted log of one hub recipient: its retained entries, the last number given out, when a front end last attached.</summary>
[GenerateSerializer]
public sealed class HubMailboxState : IExpiringState
{
    [Id(0)] public long LastSequence { get; set; }

    [Id(1)] public List<MailboxEntry> Entries { get; set; } = [];

    [Id(2)] public DateTimeOffset LastAttachedAt { get; set; }

    /// <summary>Storage may drop the record once nothing attached or was stored for a retention period and a day.</summary>
    [Id(3)] public DateTimeOffset? PurgeAfter { get; set; }
}
