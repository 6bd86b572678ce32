using System;
using System.Collections;
using System.Collections.Generic;

namespace TokenAuth.Logging
{
    /// <summary>
    /// The commands that make a CI system mask a value in its logs, to be written before the value itself:
    /// Azure DevOps (TF_BUILD) and GitHub Actions (GITHUB_ACTIONS). Each agent reads a command from one line and
    /// decodes escapes in its value, so the value is escaped the way the agent decodes it (else it would register a
    /// different string), and a value of several lines is registered line by line too: the agents mask output a line
    /// at a time, where the whole value never appears.
    /// </summary>
    public static class CiMasking
    {
        private const string AzureDevOps = "TF_BUILD";
        private const string GitHubActions = "GITHUB_ACTIONS";

        /// <summary>The commands for this process's own CI, read from the two variables that name it (not a copy of the whole environment).</summary>
        public static IReadOnlyList<string> CommandsFor(string value) => CommandsFor(value, new Hashtable
        {
            [AzureDevOps] = Environment.GetEnvironmentVariable(AzureDevOps),
            [GitHubActions] = Environment.GetEnvironmentVariable(GitHubActions),
        });

        public static IReadOnlyList<string> CommandsFor(string value, IDictionary environment)
        {
            var commands = new List<string>();
            if (string.IsNullOrEmpty(value))
            {
                return commands;
            }

            var parts = new List<string> { value };
            if (value.IndexOf('\n') >= 0 || value.IndexOf('\r') >= 0)
            {
                foreach (var line in value.Split(new[] { "\r\n", "\n", "\r" }, StringSplitOptions.None))
                {
                    if (line.Trim().Length > 0 && !parts.Contains(line))
                    {
                        parts.Add(line);
                    }
                }
            }

            if (IsSet(environment, AzureDevOps))
            {
                parts.ForEach(part => commands.Add("##vso[task.setsecret]" + EscapeForAzureDevOps(part)));
            }

            if (IsSet(environment, GitHubActions))
            {
                parts.ForEach(part => commands.Add("::add-mask::" + EscapeForGitHubActions(part)));
            }

            return commands;
        }

        /// <summary>As the Azure Pipelines agent's CommandStringConvertor.Escape, '%' included (its DECODE_PERCENTS default).</summary>
        private static string EscapeForAzureDevOps(string value) =>
            value.Replace("%", "%AZP25").Replace(";", "%3B").Replace("\r", "%0D").Replace("\n", "%0A").Replace("]", "%5D");

        /// <summary>As GitHub Actions' toolkit escapes command data ('%' first, so that no escape is decoded twice).</summary>
        private static string EscapeForGitHubActions(string value) =>
            value.Replace("%", "%25").Replace("\r", "%0D").Replace("\n", "%0A");

        private static bool IsSet(IDictionary environment, string name) =>
            environment[name] is string text && text.Length > 0 && !text.Equals("false", StringComparison.OrdinalIgnoreCase);
    }
}
