//! Which Azure AD users an [`AzureDirectory`](crate::AzureDirectory) looks after: the members of
//! a group, or everyone; less the members of excluded groups (administrators, service and
//! break-glass accounts), which a sync never touches.

use dirsync::plan::ScopeStatus;

/// The Azure AD users a sync looks after: the members of [`AzureScope::group`] (nested groups
/// included), or everyone without one; the members of [`AzureScope::exclude_groups`] are
/// excluded whatever else they belong to. The default: everyone, nobody excluded.
///
/// ```
/// use azure_graph::AzureScope;
/// use dirsync::plan::ScopeStatus;
/// let scope = AzureScope { group: Some("g-staff".into()), exclude_groups: vec!["g-admins".into()] };
/// assert_eq!(scope.status(&["g-staff".into()]), ScopeStatus::In);
/// assert_eq!(scope.status(&["g-staff".into(), "g-admins".into()]), ScopeStatus::Excluded);
/// assert_eq!(scope.status(&[]), ScopeStatus::Out);
/// assert!(AzureScope::default().describe().is_none());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AzureScope {
    /// The group (its object id) whose members, direct or through nested groups, are in the
    /// scope; `None`: everyone.
    pub group: Option<String>,
    /// Groups (object ids) whose members, direct or not, are excluded from the sync.
    pub exclude_groups: Vec<String>,
}

impl AzureScope {
    /// Whether the scope takes in everyone and excludes nobody.
    pub fn is_everyone(&self) -> bool {
        self.group.is_none() && self.exclude_groups.is_empty()
    }

    /// The scope for people; `None` for everyone.
    pub fn describe(&self) -> Option<String> {
        let except = match self.exclude_groups.as_slice() {
            [] => String::new(),
            [one] => format!(", except the members of the group {one}"),
            many => format!(", except the members of the groups {}", many.join(", ")),
        };
        match &self.group {
            Some(group) => Some(format!("the members of the Azure AD group {group}{except}")),
            None if !except.is_empty() => Some(format!("everyone in Azure AD{except}")),
            None => None,
        }
    }

    /// Every group a user is checked against: the scope's, then the excluded ones.
    pub(crate) fn groups(&self) -> Vec<String> {
        self.group.iter().chain(&self.exclude_groups).cloned().collect()
    }

    /// Where a user stands who is a member (directly or not) of the groups `member_of`.
    pub fn status(&self, member_of: &[String]) -> ScopeStatus {
        let is_member = |group: &String| member_of.iter().any(|m| m.eq_ignore_ascii_case(group));
        if self.exclude_groups.iter().any(is_member) {
            ScopeStatus::Excluded
        } else if self.group.as_ref().is_some_and(|group| !is_member(group)) {
            ScopeStatus::Out
        } else {
            ScopeStatus::In
        }
    }
}
