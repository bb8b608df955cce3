"""Citizens' personal data (个人信息保护): how long recordings and call records are kept."""
