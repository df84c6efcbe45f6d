namespace SessionGrains.Bench.LoadGen.Cpu;

/// <summary>
/// One process of the system under test whose CPU time counts against it: a front end, a silo, redis-server, the
/// baseline app or the bare Kestrel app. <paramref name="Role"/> groups processes of one kind (front end, silo, redis, app).
/// </summary>
public sealed record SutProcess(string Name, string Role, int Pid);
