namespace SessionGrains.Tests.SignalR;

/// <summary>What one recipient got: how many messages, acknowledged ones missing, repeats, order, numbers never sent.</summary>
public sealed record RecipientTally(string Name, int Received, int Missing, int Duplicated, bool InOrder, int NeverSent)
{
    public override string ToString() => $"{Name}: received {Received}, missing {Missing}, duplicated {Duplicated}, in order {InOrder}, never sent {NeverSent}";
}
