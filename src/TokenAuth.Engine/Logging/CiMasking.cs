using System;
using System.Collections;
using System.Collections.Generic;

namespace TokenAuth.Logging
{
    /// <summary>
    /// The commands that make a CI system mask a value in its logs, to be written before the value itself:
    /// Azure DevOps (TF_BUILD) and GitHub Actions (GITHUB_ACTIONS).
    /// </summary>
    public static class CiMasking
    {
        public static IReadOnlyList<string> CommandsFor(string value, IDictionary environment)
        {
            var commands = new List<string>();
            if (string.IsNullOrEmpty(value))
            {
                return commands;
            }

            if (IsSet(environment, "TF_BUILD"))
            {
                commands.Add("##vso[task.setsecret]" + value);
            }

            if (IsSet(environment, "GITHUB_ACTIONS"))
            {
                commands.Add("::add-mask::" + value);
            }

            return commands;
        }

        private static bool IsSet(IDictionary environment, string name) =>
            environment[name] is string text && text.Length > 0 && !text.Equals("false", StringComparison.OrdinalIgnoreCase);
    }
}
