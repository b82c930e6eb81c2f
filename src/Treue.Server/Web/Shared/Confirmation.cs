using MudBlazor;

namespace Treue.Server.Web.Shared;

/// <summary>Asks before an act that cannot be undone, in the reader's language, naming what will happen.</summary>
public static class Confirmation
{
    /// <summary>
    /// Shows a dialog with <paramref name="title"/>, <paramref name="consequence"/> and a button named for the act
    /// (<paramref name="act"/>); true only when that button was pressed.
    /// </summary>
    public static async Task<bool> ConfirmAsync(this IDialogService dialogs, Loc l, string title, string consequence, string act)
    {
        var answer = await dialogs.ShowMessageBoxAsync(title, consequence, yesText: act, cancelText: l["Cancel"],
            options: new DialogOptions { CloseOnEscapeKey = true, MaxWidth = MaxWidth.Small, FullWidth = true });
        return answer == true;
    }
}
