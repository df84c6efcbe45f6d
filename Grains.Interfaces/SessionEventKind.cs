namespace SessionGrains.Interfaces;

/// <summary>What a session event says.</summary>
[GenerateSerializer]
public enum SessionEventKind
{
    Changed = 0,
    Message = 1,
    Expired = 2,
    Deleted = 3,
}
