namespace Treue.Server.Web.Shared;

public sealed partial class Loc
{
    private static readonly Dictionary<string, string> German = new()
    {
        ["Something went wrong. Reload the page to continue."] = "Etwas ist schiefgegangen. Laden Sie die Seite neu, um fortzufahren.",
        ["Reload"] = "Neu laden",
    };
}
