namespace SessionGrains.Grains.Storage;

/// <summary>What one write sends to storage: the fields to set, the fields to delete, and when the record may be purged.</summary>
public sealed class SessionDelta(DateTimeOffset? purgeAfter)
{
    private readonly List<KeyValuePair<string, byte[]>> _set = [];
    private readonly List<string> _deleted = [];

    public DateTimeOffset? PurgeAfter { get; } = purgeAfter;

    public IReadOnlyList<KeyValuePair<string, byte[]>> Fields => _set;

    public IReadOnlyList<string> Deleted => _deleted;

    /// <summary>Bytes of field names and values this write sends (what the benchmark reports per write).</summary>
    public int Bytes { get; private set; }

    public void Put(string name, byte[] value)
    {
        _set.Add(new(name, value));
        Bytes += name.Length + value.Length;
    }

    public void Delete(string name)
    {
        _deleted.Add(name);
        Bytes += name.Length;
    }
}
