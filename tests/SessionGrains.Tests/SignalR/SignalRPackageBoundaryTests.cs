using System.Xml.Linq;
using SessionGrains.Tests.Infrastructure;
using Xunit;

namespace SessionGrains.Tests.SignalR;

/// <summary>The package apps reference knows the grain contract and an Orleans client, never the grains themselves.</summary>
public sealed class SignalRPackageBoundaryTests
{
    [Fact]
    public void The_package_references_the_contract_and_never_the_grains()
    {
        var project = XDocument.Load(Path.Combine(RepositoryPaths.Root, "SessionGrains.SignalR", "SessionGrains.SignalR.csproj"));
        var references = project.Descendants("ProjectReference").Select(r => Path.GetFileName(((string?)r.Attribute("Include") ?? "").Replace('\\', '/'))).ToList();
        Assert.Equal(["Grains.Interfaces.csproj", "SessionGrains.Direct.csproj"], references.Order());

        var assembly = typeof(SessionGrains.SignalR.SessionGrainsHubOptions).Assembly;
        Assert.DoesNotContain(assembly.GetReferencedAssemblies(), a => a.Name is "SessionGrains.Grains" or "SessionGrains.Hosting");
    }

    [Fact]
    public void The_dotnet_helper_and_the_server_agree_on_the_resume_protocol()
    {
        Assert.Equal(SessionGrains.SignalR.ResumeProtocol.SequenceMethod, SessionGrains.SignalR.Client.HubResumePoint.SequenceMethod);
        Assert.Equal(SessionGrains.SignalR.ResumeProtocol.ResumeHeader, SessionGrains.SignalR.Client.HubResumePoint.ResumeHeader);
        var script = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "Client", "wwwroot", "session-grains-signalr.js"));
        Assert.Contains($"\"{SessionGrains.SignalR.ResumeProtocol.SequenceMethod}\"", script);
        Assert.Contains(SessionGrains.SignalR.ResumeProtocol.ResumeQuery + "=", script);
    }
}
