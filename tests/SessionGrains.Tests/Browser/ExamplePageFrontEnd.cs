using SessionGrains.Tests.Infrastructure;

namespace SessionGrains.Tests.Browser;

/// <summary>
/// A standalone front end that serves the example page: its content root is a temp folder, so the web root is
/// pointed at the Client project's <c>wwwroot</c>, where a published front end has it next to its DLL.
/// </summary>
public sealed class ExamplePageFrontEnd : StandaloneFrontEnd
{
    protected override IReadOnlyDictionary<string, string> Settings { get; } =
        new Dictionary<string, string> { ["webroot"] = Path.Combine(RepositoryPaths.Root, "Client", "wwwroot") };
}
