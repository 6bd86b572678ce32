using System.Diagnostics;
using Xunit;

namespace TokenAuth.Module.Tests;

/// <summary>
/// A fact that runs only where pwsh, Pester 5 and SecretManagement are installed, and is reported as skipped,
/// with the reason, everywhere else.
/// </summary>
public sealed class PesterFactAttribute : FactAttribute
{
    public PesterFactAttribute()
    {
        Skip = PowerShellHost.WhyNot;
    }
}

public static class PowerShellHost
{
    /// <summary>Null when the Pester suite can run here; otherwise why not.</summary>
    public static string? WhyNot { get; } = Probe();

    public static (int ExitCode, string Output) Run(TimeSpan timeout, params string[] arguments)
    {
        var start = new ProcessStartInfo("pwsh") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Repository.Root };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"pwsh did not finish within {timeout}.\n{output.Result}{errors.Result}");
        }

        return (process.ExitCode, output.Result + errors.Result);
    }

    private static string? Probe()
    {
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Any(folder => File.Exists(Path.Combine(folder, "pwsh")) || File.Exists(Path.Combine(folder, "pwsh.exe")));
        if (!onPath)
        {
            return "pwsh is not installed on this machine, so the Pester suite (tests/pester) cannot run here.";
        }

        var (exitCode, output) = Run(TimeSpan.FromMinutes(1), "-NoProfile", "-NonInteractive", "-Command",
            "if (-not (Get-Module -ListAvailable Pester | Where-Object Version -ge '5.0.0')) { 'Pester 5 is not installed'; exit 3 }; "
            + "if (-not (Get-Module -ListAvailable Microsoft.PowerShell.SecretManagement)) { 'Microsoft.PowerShell.SecretManagement is not installed'; exit 3 }");
        return exitCode == 0 ? null : $"{output.Trim()} (pwsh is installed; run ./build.ps1 Test to install what is missing).";
    }
}

public sealed class PesterSuiteTests
{
    [PesterFact]
    public void The_Pester_suite_passes_against_the_built_module()
    {
        var (exitCode, output) = PowerShellHost.Run(TimeSpan.FromMinutes(10), "-NoProfile", "-NonInteractive", "-File", Repository.File("tests", "pester", "Invoke-PesterSuite.ps1"));

        Assert.True(exitCode == 0, "The Pester suite failed:\n" + output);
    }
}
